"""The standard address register (标准地址库) in the database, geocoding and the hotline."""
