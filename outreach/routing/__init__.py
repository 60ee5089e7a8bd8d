"""Route planning: candidates by priority, day routes for several nurses, hand re-ordering."""
