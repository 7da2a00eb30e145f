//! trybuild tests of the pyro macros (what they accept and the errors they give); the cases arrive with the macros.
