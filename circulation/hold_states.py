"""The one home of what a hold can be: its levels and its statuses (the database stores these codes; the
portal, the patron API and SIP2 translate them, nothing else lists them).

A hold moves placed → in_transit → waiting → filled; or to cancelled (the patron or staff) or expired (the
shelf time ran out). `placed` is a hold in the queue, with or without a copy chosen for it.
"""

LEVELS = ("work", "record", "copy")

PLACED = "placed"            # in the queue (a lender may be chosen: `assigned_copy_id`)
IN_TRANSIT = "in_transit"    # its copy is on the way to the pickup library
WAITING = "waiting"          # on the hold shelf at the pickup library, under its pickup number
FILLED = "filled"            # the patron took the copy home
CANCELLED = "cancelled"
EXPIRED = "expired"          # not collected within the shelf time

STATUSES = (PLACED, IN_TRANSIT, WAITING, FILLED, CANCELLED, EXPIRED)
#: Still wanting a copy or holding one for the patron: these count against the limit and stand in the queue.
OPEN = (PLACED, IN_TRANSIT, WAITING)
#: The copy statuses (vocab.statuses) a hold's copy carries on the way.
COPY_IN_TRANSIT = "in_transit"
COPY_ON_SHELF = "awaiting_pickup"

#: hold_events kinds.
READY = "hold_ready"
