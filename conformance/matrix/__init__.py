"""The cross-stack compatibility matrix: real producers' emissions handed to real consumers,
each hop judged accepted or rejected and what it lost, field by field."""
