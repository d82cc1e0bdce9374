"""Events nearby: city-wide events with a place and time, listed by distance from a building."""
