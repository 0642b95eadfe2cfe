CREATE TABLE `hokify_run_leases` (
	`scope_id` integer PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `hokify_webhook_deliveries` (
	`delivery_id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`scope_id` integer NOT NULL,
	`event` text NOT NULL,
	`received_at` text NOT NULL
);
