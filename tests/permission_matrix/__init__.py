"""The generated permission matrix: a fixture world, the routes it instantiates, and what each role may do."""
