"""The Flask service of geo_enroll (app factory in :func:`web.app.create_app`)."""
