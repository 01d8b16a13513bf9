"""Domain logic. No Qt here: a Session and a Clock go in, plain data comes out."""
