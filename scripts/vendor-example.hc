# The worked example of the vendor's connection description ("Connection description Hotel/Care
# for Mitel MiVoice Business"), without telephone number transfer. Run it with
#   hotelcare plan scripts/vendor-example.hc --config scripts/vendor-example.toml
CHECKIN 1000 "Solo,Alina"   # the patient Alina Solo arrives in room 1000
COS 1000 BLOCK              # class of service change: the call-charge limit is reached
MOVE 1000 2000              # relocation to room 2000
CHECKOUT 2000               # the patient leaves
