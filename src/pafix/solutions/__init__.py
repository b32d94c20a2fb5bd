"""Power Platform solution exports: reading and writing the desktop flows inside them, and
checking / rewriting the flows of one solution together (child-flow links)."""
