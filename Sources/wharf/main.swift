print("wharf: not implemented yet")
