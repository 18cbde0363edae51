"""Return on investment: campaign costs against the clicks and conversions attributed to them."""
