-- The application reads this flag at login; it must exist on every tenant.
SELECT COUNT(*) = 1 FROM app_settings WHERE key = 'maintenance'
