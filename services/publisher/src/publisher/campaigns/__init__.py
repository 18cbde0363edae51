"""Campaigns (events, promotions, launches) that group posts and UTM-tag their links."""
