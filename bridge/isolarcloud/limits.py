"""The OpenAPI's batching limits (Sungrow's API docs; 100 points: result_code 010 beyond).

The client chunks its requests by these, and the call budget counts with the same numbers.
"""

MAX_POINTS = 100  # point ids per real-time call, else result_code 010
MAX_DETAIL_IDS = 20  # ps_ids per getPowerStationDetail call
MAX_PS_KEYS = 100  # ps_keys per device call: undocumented, kept to the MLPE limit
PAGE_SIZE = 100  # rows per list page we ask for
