"""Planning: the MRP engine with pegging and capacity levelling (engine), loading it from the database
(load), runs that store only what changed and firming into production orders and purchase requests
(run), capable-to-promise dates with their reasons (promise), the demand forecast (forecast)."""
