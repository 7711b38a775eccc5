"""Pages that read across every stage: each role's home page (and, later, the programme dashboard).

It comes last in the import order, so it may read from every domain app; nothing imports it."""
