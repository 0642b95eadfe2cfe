CREATE TABLE `entity_definitions` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`display_name_singular` text NOT NULL,
	`display_name_plural` text NOT NULL,
	`fields` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `entity_definitions_key_unique` ON `entity_definitions` (`key`);--> statement-breakpoint
CREATE TABLE `events` (
	`position` integer PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`stream_id` text NOT NULL,
	`stream_version` integer NOT NULL,
	`type` text NOT NULL,
	`schema_version` integer NOT NULL,
	`data` text NOT NULL,
	`metadata` text NOT NULL,
	`recorded_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_event_id` ON `events` (`event_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_stream` ON `events` (`stream_id`,`stream_version`);--> statement-breakpoint
CREATE INDEX `events_type` ON `events` (`type`,`position`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`principal` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`content_type` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`principal`, `key`)
);
--> statement-breakpoint
CREATE TABLE `import_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`entity_id` text,
	`profile_id` text,
	`scope_id` integer,
	`actor` text NOT NULL,
	`created_at` text NOT NULL,
	`summary` text NOT NULL,
	`result` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `import_runs_kind_time` ON `import_runs` (`kind`,`created_at`);--> statement-breakpoint
CREATE TABLE `instance_keys` (
	`entity_id` text NOT NULL,
	`field_key` text NOT NULL,
	`value` text NOT NULL,
	`instance_id` text NOT NULL,
	PRIMARY KEY(`entity_id`, `field_key`, `value`)
);
--> statement-breakpoint
CREATE INDEX `instance_keys_instance` ON `instance_keys` (`instance_id`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`entity_id` text NOT NULL,
	`fields` text NOT NULL,
	`row_version` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `instances_entity` ON `instances` (`entity_id`,`id`);--> statement-breakpoint
CREATE TABLE `profiles` (
	`id` text PRIMARY KEY NOT NULL,
	`entity_id` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`import_mode` integer NOT NULL,
	`identity_mode` integer NOT NULL,
	`identity_field_key` text,
	`field_map` text NOT NULL,
	`skip_unchanged` integer NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `profiles_entity_key` ON `profiles` (`entity_id`,`key`);