"""Curated lists (formidling): titles a library chooses, with blurbs in four languages, shared
across the county, published on dates, as pages, feeds, widgets and linked data.

Above index and circulation (a list shows availability and counts the loans of its titles), below the
portal, which only renders them.
"""
