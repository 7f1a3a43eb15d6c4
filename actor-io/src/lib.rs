//! File descriptors, sockets, subprocess ports and worker processes over
//! pipes, delivered to actor-core processes as messages.
#![forbid(unsafe_code)]
