-- Identity and id lookups are the hot path of plan and apply. As WITHOUT ROWID tables, a lookup
-- by primary key is one B-tree search instead of an index search plus a rowid search.
CREATE TABLE `__new_instance_keys` (
	`entity_id` text NOT NULL,
	`field_key` text NOT NULL,
	`value` text NOT NULL,
	`instance_id` text NOT NULL,
	PRIMARY KEY(`entity_id`, `field_key`, `value`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_instance_keys` (`entity_id`, `field_key`, `value`, `instance_id`) SELECT `entity_id`, `field_key`, `value`, `instance_id` FROM `instance_keys`;
--> statement-breakpoint
DROP TABLE `instance_keys`;
--> statement-breakpoint
ALTER TABLE `__new_instance_keys` RENAME TO `instance_keys`;
--> statement-breakpoint
CREATE INDEX `instance_keys_instance` ON `instance_keys` (`instance_id`);
--> statement-breakpoint
CREATE TABLE `__new_instances` (
	`id` text PRIMARY KEY NOT NULL,
	`entity_id` text NOT NULL,
	`fields` text NOT NULL,
	`row_version` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_instances` (`id`, `entity_id`, `fields`, `row_version`, `version`, `created_at`, `updated_at`, `deleted`) SELECT `id`, `entity_id`, `fields`, `row_version`, `version`, `created_at`, `updated_at`, `deleted` FROM `instances`;
--> statement-breakpoint
DROP TABLE `instances`;
--> statement-breakpoint
ALTER TABLE `__new_instances` RENAME TO `instances`;
--> statement-breakpoint
CREATE INDEX `instances_entity` ON `instances` (`entity_id`, `id`);
