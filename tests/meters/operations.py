"""The GraphQL operations the meters tests send."""

READING = "id zone period value source isCurrent submittedAt supersededAt"
ERRORS = "userErrors { code field message }"

REGISTER = f"""
mutation ($input: MeterRegisterInput!) {{
  meterRegister(input: $input) {{
    meter {{
      id kind zones serialNumber installedOn nextVerificationOn precision unit retiredAt
      premise {{ id }}
      lastReadings {{ {READING} }}
    }}
    {ERRORS}
  }}
}}
"""
SUBMIT = f"""
mutation ($input: MeterReadingSubmitInput!) {{
  meterReadingSubmit(input: $input) {{
    meter {{ id }}
    readings {{ {READING} }}
    pointsAwarded
    {ERRORS}
  }}
}}
"""
REPLACE = f"""
mutation ($input: MeterReplaceInput!) {{
  meterReplace(input: $input) {{
    meter {{
      id kind zones serialNumber precision retiredAt
      replaces {{ id }}
      lastReadings {{ {READING} }}
    }}
    replaced {{ id retiredAt replacedBy {{ id }} lastReadings {{ {READING} }} }}
    {ERRORS}
  }}
}}
"""
RETIRE = f"""
mutation ($input: MeterRetireInput!) {{
  meterRetire(input: $input) {{
    meter {{ id retiredAt lastReadings {{ {READING} }} }}
    {ERRORS}
  }}
}}
"""
METER = f"""
query ($id: ID!, $periods: Int = 12) {{
  node(id: $id) {{
    ... on Meter {{
      id kind zones serialNumber precision unit retiredAt verificationExpired
      currentWindow {{ period opensAt closesAt isOpen }}
      lastReadings {{ {READING} }}
      readings(first: 50) {{ nodes {{ {READING} submittedBy {{ id }} }} }}
      consumption(periods: $periods) {{ period zone reading consumption }}
    }}
  }}
}}
"""
HISTORY = f"""
query ($id: ID!, $first: Int!, $after: String) {{
  node(id: $id) {{
    ... on Meter {{
      readings(first: $first, after: $after) {{
        nodes {{ {READING} }}
        pageInfo {{ hasNextPage endCursor }}
      }}
    }}
  }}
}}
"""
PREMISE_METERS = """
query ($id: ID!) {
  node(id: $id) { ... on Premise { id meters { id kind serialNumber retiredAt } } }
}
"""
BUILDING_METERS = """
query ($id: ID!, $first: Int!) {
  building(id: $id) {
    premises(first: $first) {
      nodes {
        id number
        meters {
          id kind zones
          currentWindow { period isOpen }
          readings(first: 3) { nodes { id zone period value } }
        }
      }
    }
  }
}
"""
