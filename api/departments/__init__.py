"""Departments (委办局) of districts and the city, and the event category catalogue."""
