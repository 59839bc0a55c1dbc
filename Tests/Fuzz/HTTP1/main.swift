print("wharf-fuzz-http1: not implemented yet")
