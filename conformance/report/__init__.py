"""Reports of a verify run: text, json, junit, markdown and badge."""
