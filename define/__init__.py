"""Define-XML 2.1: writer, reader for third-party defines, define.html, Define-XML rules."""
