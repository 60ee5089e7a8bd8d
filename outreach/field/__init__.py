"""The field app: the offline-first PWA nurses use on their phones (served at /field/)."""
