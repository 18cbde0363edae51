"""Each brand's publishing settings: its time zone and whether posts need approval."""
