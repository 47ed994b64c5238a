"""Finding drift: the domain and wire builders, near misses, properties, and cases made from
them."""
