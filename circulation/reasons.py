"""The stable reason codes a circulation transaction answers with (`result.reason`): what the desk screens,
My page, the patron API and the SIP2 server translate into their own words and fields. Codes never change
meaning; new ones may be added.
"""

OK = ""
NOT_FOUND = "not_found"                  # no circulating copy has this barcode
PATRON_NOT_FOUND = "patron_not_found"    # no patron has this card number
BAD_PIN = "bad_pin"
THROTTLED = "throttled"                  # too many wrong PINs for the card or the client: not checked
BLOCKED = "blocked"                      # the patron is blocked (patron.block_reason says why)
EXPIRED = "expired"                      # the patron's card has expired
LIMIT = "limit"                          # the patron has as many loans as the rule allows
NOT_LOANABLE = "not_loanable"            # the rule lends this copy to nobody (reference, loan period 0)
ALREADY_ON_LOAN = "already_on_loan"      # on loan to another patron
NOT_ON_LOAN = "not_on_loan"              # checkin or renewal of a copy that is not lent (to this patron)
HOLD_WAITING = "hold_waiting"            # renewal refused: another patron waits for the title
RENEWAL_LIMIT = "renewal_limit"          # no renewals left under the rule
NOT_CIRCULATING = "not_circulating"      # the library named does not lend through Grenseløs
FOUND = "found"                          # checkin or checkout of a copy marked lost: found, its claim closed
ALREADY_LOST = "already_lost"            # the copy was already marked lost (the open claim is returned)
NOT_ALLOWED = "not_allowed"              # staff may act only on their own library's copies and patrons
INVALID = "invalid"                      # a patron edit with problems (result.problems says which)
ON_DEPOSIT = "on_deposit"                # the copy is already in another open deposit
CLOSED = "closed"                        # the deposit has been returned
HELD_FOR_ANOTHER = "held_for_another"    # checkout of a copy on the hold shelf or on its way for another patron


ALL = (NOT_FOUND, PATRON_NOT_FOUND, BAD_PIN, THROTTLED, BLOCKED, EXPIRED, LIMIT, NOT_LOANABLE, ALREADY_ON_LOAN,
       NOT_ON_LOAN, HOLD_WAITING, RENEWAL_LIMIT, NOT_CIRCULATING, FOUND, ALREADY_LOST, NOT_ALLOWED, INVALID,
       ON_DEPOSIT, CLOSED, HELD_FOR_ANOTHER)
