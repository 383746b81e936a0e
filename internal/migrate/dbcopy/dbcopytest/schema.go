// Package dbcopytest seeds a MySQL server as KFP 2.16, its cache and MLMD leave it (their real DDL, rows with
// binary values, unicode, NULLs, AUTO_INCREMENT gaps and large values), for dbcopy's tests and bench/migrate.
// Katib's observation_logs are written by Katib's own db-manager in the tests (localstack/katibdb).
package dbcopytest

// The DDL is what KFP 2.16.0 (GORM AutoMigrate, kfp@2.16.0:backend/src/apiserver/model/*.go), its cache server
// (kfp@2.16.0:backend/src/cache/model/execution_cache.go) and MLMD 1.14.0
// (mlmd@v1.14.0:ml_metadata/util/metadata_source_query_config.cc) create on MySQL.

var mlpipelineDDL = []string{
	"CREATE TABLE `db_statuses` (`HaveSamplesLoaded` tinyint(1) NOT NULL, PRIMARY KEY (`HaveSamplesLoaded`))",
	"CREATE TABLE `default_experiments` (`DefaultExperimentId` varchar(191) NOT NULL, PRIMARY KEY (`DefaultExperimentId`))",
	"CREATE TABLE `experiments` (`UUID` varchar(191) NOT NULL, `Name` varchar(128) NOT NULL, `Description` varchar(255) NOT NULL, " +
		"`CreatedAtInSec` bigint(20) NOT NULL, `LastRunCreatedAtInSec` bigint(20) NOT NULL, `Namespace` varchar(63) NOT NULL, " +
		"`StorageState` varchar(255) NOT NULL, PRIMARY KEY (`UUID`), UNIQUE KEY `idx_name_namespace` (`Name`,`Namespace`))",
	"CREATE TABLE `pipelines` (`UUID` varchar(64) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL, `Name` varchar(128) NOT NULL, " +
		"`DisplayName` varchar(255) NOT NULL, `Description` longtext NOT NULL, `Parameters` longtext DEFAULT NULL, " +
		"`Status` varchar(255) NOT NULL, `DefaultVersionId` varchar(255) DEFAULT NULL, `Namespace` varchar(63) DEFAULT NULL, " +
		"PRIMARY KEY (`UUID`), UNIQUE KEY `namespace_name` (`Name`,`Namespace`))",
	"CREATE TABLE `pipeline_versions` (`UUID` varchar(191) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL, `Name` varchar(127) NOT NULL, " +
		"`DisplayName` varchar(255) NOT NULL, `Parameters` longtext NOT NULL, `PipelineId` varchar(64) NOT NULL, " +
		"`Status` varchar(255) NOT NULL, `CodeSourceUrl` varchar(255) DEFAULT NULL, `Description` longtext DEFAULT NULL, " +
		"`PipelineSpec` longtext NOT NULL, `PipelineSpecURI` longtext NOT NULL, PRIMARY KEY (`UUID`), " +
		"UNIQUE KEY `idx_pipelineid_name` (`Name`,`PipelineId`), KEY `idx_pipeline_versions_CreatedAtInSec` (`CreatedAtInSec`), " +
		"KEY `idx_pipeline_versions_PipelineId` (`PipelineId`), CONSTRAINT `pipeline_versions_PipelineId_pipelines_UUID_foreign` " +
		"FOREIGN KEY (`PipelineId`) REFERENCES `pipelines` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE)",
	"CREATE TABLE `jobs` (`UUID` varchar(191) NOT NULL, `DisplayName` varchar(255) NOT NULL, `Name` varchar(255) NOT NULL, " +
		"`Namespace` varchar(255) NOT NULL, `ServiceAccount` varchar(255) NOT NULL, `Description` varchar(255) NOT NULL, " +
		"`MaxConcurrency` bigint(20) NOT NULL, `NoCatchup` tinyint(1) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL, " +
		"`UpdatedAtInSec` bigint(20) DEFAULT 0, `Enabled` tinyint(1) NOT NULL, `ExperimentUUID` varchar(255) NOT NULL, " +
		"`CronScheduleStartTimeInSec` bigint(20) DEFAULT NULL, `CronScheduleEndTimeInSec` bigint(20) DEFAULT NULL, " +
		"`Schedule` varchar(255) DEFAULT NULL, `PeriodicScheduleStartTimeInSec` bigint(20) DEFAULT NULL, " +
		"`PeriodicScheduleEndTimeInSec` bigint(20) DEFAULT NULL, `IntervalSecond` bigint(20) DEFAULT NULL, " +
		"`PipelineId` varchar(255) NOT NULL, `PipelineVersionId` varchar(255) DEFAULT NULL, `PipelineName` varchar(255) NOT NULL, " +
		"`PipelineSpecManifest` longtext DEFAULT NULL, `WorkflowSpecManifest` longtext DEFAULT NULL, `Parameters` longtext DEFAULT NULL, " +
		"`RuntimeParameters` longtext DEFAULT NULL, `PipelineRoot` longtext DEFAULT NULL, `Conditions` varchar(255) NOT NULL, PRIMARY KEY (`UUID`))",
	"CREATE TABLE `run_details` (`UUID` varchar(191) NOT NULL, `DisplayName` varchar(255) NOT NULL, `Name` varchar(255) NOT NULL, " +
		"`Description` varchar(255) NOT NULL, `Namespace` varchar(63) NOT NULL, `ExperimentUUID` varchar(64) NOT NULL, " +
		"`JobUUID` varchar(255) DEFAULT NULL, `StorageState` varchar(255) NOT NULL, `ServiceAccount` varchar(255) NOT NULL, " +
		"`PipelineId` varchar(255) NOT NULL, `PipelineVersionId` varchar(255) DEFAULT NULL, `PipelineName` varchar(255) NOT NULL, " +
		"`PipelineSpecManifest` longtext DEFAULT NULL, `WorkflowSpecManifest` longtext DEFAULT NULL, `Parameters` longtext DEFAULT NULL, " +
		"`RuntimeParameters` longtext DEFAULT NULL, `PipelineRoot` longtext DEFAULT NULL, `CreatedAtInSec` bigint(20) NOT NULL, " +
		"`ScheduledAtInSec` bigint(20) DEFAULT 0, `FinishedAtInSec` bigint(20) DEFAULT 0, `Conditions` varchar(125) NOT NULL, " +
		"`State` varchar(255) DEFAULT NULL, `StateHistory` longtext DEFAULT NULL, `PipelineRuntimeManifest` longtext NOT NULL, " +
		"`WorkflowRuntimeManifest` longtext NOT NULL, `PipelineContextId` bigint(20) DEFAULT 0, `PipelineRunContextId` bigint(20) DEFAULT 0, " +
		"PRIMARY KEY (`UUID`), KEY `namespace_createatinsec` (`Namespace`,`CreatedAtInSec`), " +
		"KEY `namespace_conditions_finishedatinsec` (`Namespace`,`Conditions`,`FinishedAtInSec`), " +
		"KEY `experimentuuid_createatinsec` (`ExperimentUUID`,`CreatedAtInSec`), " +
		"KEY `experimentuuid_conditions_finishedatinsec` (`ExperimentUUID`,`Conditions`,`FinishedAtInSec`))",
	"CREATE TABLE `run_metrics` (`RunUUID` varchar(191) NOT NULL, `NodeID` varchar(191) NOT NULL, `Name` varchar(191) NOT NULL, " +
		"`NumberValue` double DEFAULT NULL, `Format` varchar(255) DEFAULT NULL, `Payload` longtext NOT NULL, " +
		"PRIMARY KEY (`RunUUID`,`NodeID`,`Name`), CONSTRAINT `run_metrics_RunUUID_run_details_UUID_foreign` FOREIGN KEY (`RunUUID`) " +
		"REFERENCES `run_details` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE)",
	"CREATE TABLE `tasks` (`UUID` varchar(191) NOT NULL, `Namespace` varchar(255) NOT NULL, `PipelineName` varchar(255) NOT NULL, " +
		"`RunUUID` varchar(191) NOT NULL, `PodName` varchar(255) NOT NULL, `MLMDExecutionID` varchar(255) NOT NULL, " +
		"`CreatedTimestamp` bigint(20) NOT NULL, `StartedTimestamp` bigint(20) DEFAULT 0, `FinishedTimestamp` bigint(20) DEFAULT 0, " +
		"`Fingerprint` varchar(255) NOT NULL, `Name` varchar(255) DEFAULT NULL, `ParentTaskUUID` varchar(255) DEFAULT NULL, " +
		"`State` varchar(255) DEFAULT NULL, `StateHistory` longtext DEFAULT NULL, `MLMDInputs` longtext DEFAULT NULL, " +
		"`MLMDOutputs` longtext DEFAULT NULL, `ChildrenPods` longtext DEFAULT NULL, `Payload` longtext DEFAULT NULL, " +
		"PRIMARY KEY (`UUID`), KEY `tasks_RunUUID_run_details_UUID_foreign` (`RunUUID`), " +
		"CONSTRAINT `tasks_RunUUID_run_details_UUID_foreign` FOREIGN KEY (`RunUUID`) REFERENCES `run_details` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE)",
	"CREATE TABLE `resource_references` (`ResourceUUID` varchar(191) NOT NULL, `ResourceType` varchar(255) NOT NULL, " +
		"`ReferenceUUID` varchar(191) NOT NULL, `ReferenceName` varchar(255) NOT NULL, `ReferenceType` varchar(255) NOT NULL, " +
		"`Relationship` varchar(255) NOT NULL, `Payload` longtext NOT NULL, PRIMARY KEY (`ResourceUUID`,`ResourceType`,`ReferenceType`), " +
		"KEY `referencefilter` (`ResourceType`,`ReferenceUUID`,`ReferenceType`))",
}

var cachedbDDL = []string{
	"CREATE TABLE `execution_caches` (`ID` bigint(20) NOT NULL AUTO_INCREMENT, `ExecutionCacheKey` varchar(191) NOT NULL, " +
		"`ExecutionTemplate` longtext NOT NULL, `ExecutionOutput` longtext NOT NULL, `MaxCacheStaleness` bigint(20) NOT NULL, " +
		"`StartedAtInSec` bigint(20) NOT NULL, `EndedAtInSec` bigint(20) NOT NULL, PRIMARY KEY (`ID`), " +
		"KEY `composite_id_idx` (`ID`,`StartedAtInSec`), KEY `idx_cache_key` (`ExecutionCacheKey`))",
}

var metadbDDL = []string{
	"CREATE TABLE IF NOT EXISTS `Type` ( `id` INT PRIMARY KEY AUTO_INCREMENT, `name` VARCHAR(255) NOT NULL, `version` VARCHAR(255), " +
		"`type_kind` TINYINT(1) NOT NULL, `description` TEXT, `input_type` TEXT, `output_type` TEXT, `external_id` VARCHAR(255) UNIQUE )",
	"CREATE TABLE IF NOT EXISTS `Artifact` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, `uri` TEXT, `state` INT, " +
		"`name` VARCHAR(255), `external_id` VARCHAR(255) UNIQUE, `create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, " +
		"`last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0, CONSTRAINT UniqueArtifactTypeName UNIQUE(`type_id`, `name`) )",
	"CREATE TABLE IF NOT EXISTS `ArtifactProperty` ( `artifact_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, " +
		"`is_custom_property` TINYINT(1) NOT NULL, `int_value` INT, `double_value` DOUBLE, `string_value` MEDIUMTEXT, " +
		"`byte_value` MEDIUMBLOB, `proto_value` MEDIUMBLOB, `bool_value` BOOLEAN, PRIMARY KEY (`artifact_id`, `name`, `is_custom_property`))",
	"CREATE TABLE IF NOT EXISTS `Execution` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, `last_known_state` INT, " +
		"`name` VARCHAR(255), `external_id` VARCHAR(255) UNIQUE, `create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, " +
		"`last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0, CONSTRAINT UniqueExecutionTypeName UNIQUE(`type_id`, `name`) )",
	"CREATE TABLE IF NOT EXISTS `Context` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `type_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, " +
		"`external_id` VARCHAR(255) UNIQUE, `create_time_since_epoch` BIGINT NOT NULL DEFAULT 0, " +
		"`last_update_time_since_epoch` BIGINT NOT NULL DEFAULT 0, UNIQUE(`type_id`, `name`) )",
	"CREATE TABLE IF NOT EXISTS `ContextProperty` ( `context_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, " +
		"`is_custom_property` TINYINT(1) NOT NULL, `int_value` INT, `double_value` DOUBLE, `string_value` MEDIUMTEXT, " +
		"`byte_value` MEDIUMBLOB, `proto_value` MEDIUMBLOB, `bool_value` BOOLEAN, PRIMARY KEY (`context_id`, `name`, `is_custom_property`))",
	"CREATE TABLE IF NOT EXISTS `Event` ( `id` INTEGER PRIMARY KEY AUTO_INCREMENT, `artifact_id` INT NOT NULL, `execution_id` INT NOT NULL, " +
		"`type` INT NOT NULL, `milliseconds_since_epoch` BIGINT, CONSTRAINT UniqueEvent UNIQUE( `artifact_id`, `execution_id`, `type`) )",
	"CREATE TABLE IF NOT EXISTS `EventPath` ( `event_id` INT NOT NULL, `is_index_step` TINYINT(1) NOT NULL, `step_index` INT, `step_key` TEXT )",
	"CREATE TABLE IF NOT EXISTS `MLMDEnv` ( `schema_version` INTEGER PRIMARY KEY )",
	"ALTER TABLE `Artifact` ADD INDEX `idx_artifact_uri`(`uri`(255)), ADD INDEX `idx_artifact_create_time_since_epoch` (`create_time_since_epoch`)",
	"ALTER TABLE `Event` ADD INDEX `idx_event_execution_id` (`execution_id`)",
	"ALTER TABLE `EventPath` ADD INDEX `idx_eventpath_event_id`(`event_id`)",
	"ALTER TABLE `ContextProperty` ADD INDEX `idx_context_property_string`(`name`, `is_custom_property`, `string_value`(255))",
}

// KatibDDL is Katib's observation_logs (katib@v0.19.0:pkg/db/v1beta1/mysql/init.go), for seeding without the
// db-manager (the benchmark).
const KatibDDL = "CREATE TABLE IF NOT EXISTS observation_logs (trial_name VARCHAR(255) NOT NULL, id INT AUTO_INCREMENT PRIMARY KEY, " +
	"time DATETIME(6), metric_name VARCHAR(255) NOT NULL, value TEXT NOT NULL)"
