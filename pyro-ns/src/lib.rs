//! The pyro name server (`Pyro.NameServer`), its storage and broadcast discovery; it arrives with the naming work.
