"""GraphQL documents of the notices tests."""

NOTICE_FIELDS = """
fragment NoticeFields on Notice {
    id category title text entrances visibleFrom visibleUntil outageStart outageEnd
    createdAt edited editCount editedAt withdrawn withdrawnAt isCurrent isOutage
    building { id }
}
"""

BUILDING_NOTICES = (
    """
query BuildingNotices($id: ID!, $first: Int!, $after: String, $includeExpired: Boolean! = false) {
  node(id: $id) {
    id
    ... on Building {
      notices(first: $first, after: $after, includeExpired: $includeExpired) {
        edges { cursor node { ...NoticeFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
    + NOTICE_FIELDS
)

NOTICE_NODE = "query NoticeNode($id: ID!) { node(id: $id) { ... on Notice { id title } } }"

POST = (
    """
mutation NoticePost($input: NoticePostInput!) {
  noticePost(input: $input) {
    notice { ...NoticeFields }
    userErrors { code field message }
  }
}
"""
    + NOTICE_FIELDS
)

UPDATE = (
    """
mutation NoticeUpdate($input: NoticeUpdateInput!) {
  noticeUpdate(input: $input) {
    notice { ...NoticeFields }
    userErrors { code field message }
  }
}
"""
    + NOTICE_FIELDS
)

WITHDRAW = """
mutation NoticeWithdraw($input: NoticeWithdrawInput!) {
  noticeWithdraw(input: $input) {
    notice { id withdrawn withdrawnAt }
    userErrors { code field message }
  }
}
"""

MUTE = """
mutation NoticeCategoryMute($input: NoticeCategoryMuteInput!) {
  noticeCategoryMute(input: $input) {
    noticeSettings { mutedCategories }
    userErrors { code field message }
  }
}
"""

UNMUTE = """
mutation NoticeCategoryUnmute($input: NoticeCategoryMuteInput!) {
  noticeCategoryUnmute(input: $input) {
    noticeSettings { mutedCategories }
    userErrors { code field message }
  }
}
"""

SETTINGS = "query NoticeSettings { viewer { noticeSettings { mutedCategories } } }"
