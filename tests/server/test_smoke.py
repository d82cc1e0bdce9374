from tests.factories import Api, make_world


async def test_viewer_of_owner(api: Api) -> None:
    world = await make_world(api)
    data = await api.gql(
        "{ viewer { user { id displayName } premises { tier premise { number } } } }",
        as_=world["owner"],
    )
    assert data["viewer"]["user"]["id"] == world["owner"].id
    assert data["viewer"]["premises"] == [{"tier": "OWNER", "premise": {"number": "1"}}]
