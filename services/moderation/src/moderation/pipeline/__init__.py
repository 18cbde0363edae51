"""The path of every received comment: classify, apply the brand's rules, record, act."""
