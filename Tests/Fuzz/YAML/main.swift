print("wharf-fuzz-yaml: not implemented yet")
