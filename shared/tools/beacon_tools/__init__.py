"""The platform's development tools, apart from `beacon_shared`: nothing at runtime imports them,
and only development installs put them on the path (`dev-mode-dirs`), so the image leaves them out.
"""
