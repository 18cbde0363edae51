"""Reports: a brand's figures over a period as JSON, CSV and PDF; stored, and sent weekly."""
