-- One running admin job of each kind (the replay), across processes and Worker isolates.
CREATE TABLE `admin_leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` text NOT NULL
);
