"""The operations the meeting tests send."""

MEETING_FIELDS = """
  id number title state isFirstMeeting votingStartsAt votingEndsAt decisionsPlace
  scheduledAt votingOpenedAt endedAt cancelledAt cancelReason quorum viewerAdministers
  agenda { number title proposal kind threshold adopted administratorIsOrganisation
           votingDays decisionsPlace administrator { id } }
  materials { contentType sizeBytes url }
"""
TALLY_FIELDS = """
  meetingId state cursor ballots quorumReached
  turnout { numerator denominator percentOfAll }
  questions { number adopted
    votesFor { numerator denominator percentOfAll percentOfCast }
    against { numerator denominator percentOfAll percentOfCast }
    abstain { numerator denominator percentOfAll percentOfCast } }
"""
ERRORS = "userErrors { __typename code field message }"

CREATE = f"""
mutation Create($input: MeetingCreateInput!) {{
  meetingCreate(input: $input) {{ meeting {{ {MEETING_FIELDS} }} {ERRORS} }}
}}
"""
SCHEDULE = f"""
mutation Schedule($input: MeetingScheduleInput!) {{
  meetingSchedule(input: $input) {{ meeting {{ id state scheduledAt }} {ERRORS} }}
}}
"""
CANCEL = f"""
mutation Cancel($input: MeetingCancelInput!) {{
  meetingCancel(input: $input) {{ meeting {{ id state cancelledAt cancelReason }} {ERRORS} }}
}}
"""
ENTRY_FIELDS = """
  id meetingId share area viewerMayVote
  weight { numerator denominator percentOfAll }
  premise { id number }
  owner { id }
  ballot { channel castAt receivedOn castBy { id } powerOfAttorney { id }
           decisions { number decision } scan { contentType url } }
"""
VOTE = f"""
mutation Vote($input: MeetingVoteCastInput!) {{
  meetingVoteCast(input: $input) {{ entry {{ {ENTRY_FIELDS} }} {ERRORS} }}
}}
"""
VOTE_BY_ATTORNEY = f"""
mutation VoteByAttorney($input: MeetingVoteCastByAttorneyInput!) {{
  meetingVoteCastByAttorney(input: $input) {{ entry {{ {ENTRY_FIELDS} }} {ERRORS} }}
}}
"""
PAPER = f"""
mutation Paper($input: MeetingPaperBallotEnterInput!) {{
  meetingPaperBallotEnter(input: $input) {{ entry {{ {ENTRY_FIELDS} }} {ERRORS} }}
}}
"""
ATTORNEY = f"""
mutation Attorney($input: PowerOfAttorneyRegisterInput!) {{
  powerOfAttorneyRegister(input: $input) {{
    powerOfAttorney {{ id documentNumber validFrom validUntil principal {{ id }}
                       representative {{ id }} scan {{ contentType url }} }}
    {ERRORS}
  }}
}}
"""
MEETING = f"""
query Meeting($id: ID!) {{
  node(id: $id) {{ ... on Meeting {{ {MEETING_FIELDS}
    viewerEntries {{ {ENTRY_FIELDS} }}
    tally {{ {TALLY_FIELDS} }}
  }} }}
}}
"""
REGISTER = f"""
query Register($id: ID!) {{
  node(id: $id) {{ ... on Meeting {{ id
    register {{ id totalArea fixedAt annex {{ contentType url }}
      entries(first: 100) {{ nodes {{ {ENTRY_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }}
    }}
  }} }}
}}
"""
PROTOCOL = """
query Protocol($id: ID!) {
  node(id: $id) { ... on Meeting { id state quorum
    protocol { number formedAt votingStartedAt votingEndedAt totalArea quorum
      initiator administrator
      turnout { numerator denominator percentOfAll }
      questions { number title threshold adopted
        votesFor { numerator denominator percentOfAll percentOfCast }
        against { numerator denominator } abstain { numerator denominator } }
      document { contentType url } }
  } }
}
"""
BUILDING_MEETINGS = """
query Meetings($id: ID!) {
  building(id: $id) { meetings(first: 50) { nodes { id state number } } }
}
"""
TALLY_SUBSCRIPTION = f"""
subscription Tally($id: ID!, $after: String) {{
  meetingTally(meetingId: $id, after: $after) {{ {TALLY_FIELDS} }}
}}
"""
VIEWER_ENTRY_IDS = """
query ViewerEntryIds($id: ID!) {
  node(id: $id) { ... on Meeting { id viewerEntries { id } } }
}
"""
VOTE_QUIET = f"""
mutation VoteQuiet($input: MeetingVoteCastInput!) {{
  meetingVoteCast(input: $input) {{ entry {{ ballot {{ channel }} }} {ERRORS} }}
}}
"""
ADMINISTRATION = """
query Administration($id: ID!) {
  node(id: $id) { ... on Meeting { id state isFirstMeeting viewerAdministers
    initiator { id } administrator { id } administratorOrganisation { id }
    initiatingOrganisation { id } } }
}
"""
MEETING_TALLY = f"""
query MeetingTally($id: ID!) {{
  node(id: $id) {{ ... on Meeting {{ id state tally {{ {TALLY_FIELDS} }} }} }}
}}
"""
REGISTER_PAGE = """
query RegisterPage($id: ID!, $after: String) {
  node(id: $id) { ... on Meeting { id
    register { totalArea
      entries(first: 100, after: $after) {
        nodes { id share area owner { id } weight { numerator denominator } }
        pageInfo { hasNextPage endCursor } } } } }
}
"""
EXACT_SHARE = "numerator denominator percentOfAll percentOfCast"
PROTOCOL_EXACT = f"""
query ProtocolExact($id: ID!) {{
  node(id: $id) {{ ... on Meeting {{ id state quorum
    agenda {{ number adopted }}
    protocol {{ number quorum totalArea
      turnout {{ {EXACT_SHARE} }}
      questions {{ number threshold adopted
        votesFor {{ {EXACT_SHARE} }} against {{ {EXACT_SHARE} }} abstain {{ {EXACT_SHARE} }} }}
      document {{ contentType url }} }}
  }} }}
}}
"""
POWER_OF_ATTORNEY = """
query PowerOfAttorney($id: ID!) {
  node(id: $id) { ... on PowerOfAttorney { id meetingId documentNumber
    principal { id } representative { id } scan { contentType url } } }
}
"""
MEETING_FILES = """
query MeetingFiles($id: ID!) {
  node(id: $id) { ... on Meeting { id
    materials { url }
    protocol { document { url } }
    register { annex { url }
      entries(first: 100) { nodes { owner { id } ballot { scan { url } } } } }
  } }
}
"""
