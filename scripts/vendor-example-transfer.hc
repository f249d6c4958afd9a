# The worked example of the vendor's connection description, with telephone number transfer:
# the patient keeps the personal number 3000 when moving from room 1000 to room 2000. Run it with
#   hotelcare plan scripts/vendor-example-transfer.hc --config scripts/vendor-example-transfer.toml
CHECKIN 1000 "Solo,Alina" DID 3000   # the patient Alina Solo arrives in room 1000
COS 1000 BLOCK                       # class of service change: the call-charge limit is reached
MOVE 1000 2000                       # relocation: room 2000 now has DID 3000
CHECKOUT 2000                        # the patient leaves; the DID is taken away
