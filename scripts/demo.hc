# A first look at hotelcare: the vendor's worked example on the embedded MiVB simulator.
#   cargo run --release -- run scripts/demo.hc
# Without a [pbx] section in the configuration, hotelcare starts its embedded simulator with
# the vendor example's rooms 1000 ("Room 1000") and 2000 ("Room 2000").
CHECKIN 1000 "Solo,Alina"   # the guest arrives: the phone shows her name and may call out
COS 1000 BLOCK              # the call-charge limit is reached: external calls blocked
SHOW 1000
MOVE 1000 2000              # she moves to room 2000; 1000 shows "Room 1000" again
SHOW 1000
SHOW 2000
CHECKOUT 2000               # she leaves
SHOW 2000
