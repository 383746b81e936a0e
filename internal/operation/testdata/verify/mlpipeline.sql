CREATE TABLE `db_statuses` (
  `HaveSamplesLoaded` tinyint(1) NOT NULL,
  PRIMARY KEY (`HaveSamplesLoaded`));
CREATE TABLE `default_experiments` (
  `DefaultExperimentId` varchar(191) NOT NULL,
  PRIMARY KEY (`DefaultExperimentId`));
CREATE TABLE `experiments` (
  `UUID` varchar(191) NOT NULL, `Name` varchar(128) NOT NULL, `Description` varchar(255) NOT NULL,
  `CreatedAtInSec` bigint(20) NOT NULL, `LastRunCreatedAtInSec` bigint(20) NOT NULL,
  `Namespace` varchar(63) NOT NULL, `StorageState` varchar(255) NOT NULL,
  PRIMARY KEY (`UUID`), UNIQUE KEY `idx_name_namespace` (`Name`,`Namespace`));
CREATE TABLE `pipelines` (
  `UUID` varchar(64) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL, `Name` varchar(128) NOT NULL,
  `DisplayName` varchar(255) NOT NULL, `Description` longtext NOT NULL, `Parameters` longtext DEFAULT NULL,
  `Status` varchar(255) NOT NULL, `DefaultVersionId` varchar(255) DEFAULT NULL, `Namespace` varchar(63) DEFAULT NULL,
  PRIMARY KEY (`UUID`), UNIQUE KEY `namespace_name` (`Name`,`Namespace`));
CREATE TABLE `pipeline_versions` (
  `UUID` varchar(191) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL, `Name` varchar(127) NOT NULL,
  `DisplayName` varchar(255) NOT NULL, `Parameters` longtext NOT NULL, `PipelineId` varchar(64) NOT NULL,
  `Status` varchar(255) NOT NULL, `CodeSourceUrl` varchar(255) DEFAULT NULL, `Description` longtext DEFAULT NULL,
  `PipelineSpec` longtext NOT NULL, `PipelineSpecURI` longtext NOT NULL,
  PRIMARY KEY (`UUID`), UNIQUE KEY `idx_pipelineid_name` (`Name`,`PipelineId`),
  KEY `idx_pipeline_versions_CreatedAtInSec` (`CreatedAtInSec`), KEY `idx_pipeline_versions_PipelineId` (`PipelineId`),
  CONSTRAINT `pipeline_versions_PipelineId_pipelines_UUID_foreign` FOREIGN KEY (`PipelineId`)
    REFERENCES `pipelines` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE `jobs` (
  `UUID` varchar(191) NOT NULL, `DisplayName` varchar(255) NOT NULL, `Name` varchar(255) NOT NULL,
  `Namespace` varchar(255) NOT NULL, `ServiceAccount` varchar(255) NOT NULL, `Description` varchar(255) NOT NULL,
  `MaxConcurrency` bigint(20) NOT NULL, `NoCatchup` tinyint(1) NOT NULL, `CreatedAtInSec` bigint(20) NOT NULL,
  `UpdatedAtInSec` bigint(20) DEFAULT 0, `Enabled` tinyint(1) NOT NULL, `ExperimentUUID` varchar(255) NOT NULL,
  `CronScheduleStartTimeInSec` bigint(20) DEFAULT NULL, `CronScheduleEndTimeInSec` bigint(20) DEFAULT NULL,
  `Schedule` varchar(255) DEFAULT NULL, `PeriodicScheduleStartTimeInSec` bigint(20) DEFAULT NULL,
  `PeriodicScheduleEndTimeInSec` bigint(20) DEFAULT NULL, `IntervalSecond` bigint(20) DEFAULT NULL,
  `PipelineId` varchar(255) NOT NULL, `PipelineVersionId` varchar(255) DEFAULT NULL, `PipelineName` varchar(255) NOT NULL,
  `PipelineSpecManifest` longtext DEFAULT NULL, `WorkflowSpecManifest` longtext DEFAULT NULL,
  `Parameters` longtext DEFAULT NULL, `RuntimeParameters` longtext DEFAULT NULL, `PipelineRoot` longtext DEFAULT NULL,
  `Conditions` varchar(255) NOT NULL,
  PRIMARY KEY (`UUID`));
CREATE TABLE `run_details` (
  `UUID` varchar(191) NOT NULL, `DisplayName` varchar(255) NOT NULL, `Name` varchar(255) NOT NULL,
  `Description` varchar(255) NOT NULL, `Namespace` varchar(63) NOT NULL, `ExperimentUUID` varchar(64) NOT NULL,
  `JobUUID` varchar(255) DEFAULT NULL, `StorageState` varchar(255) NOT NULL, `ServiceAccount` varchar(255) NOT NULL,
  `PipelineId` varchar(255) NOT NULL, `PipelineVersionId` varchar(255) DEFAULT NULL, `PipelineName` varchar(255) NOT NULL,
  `PipelineSpecManifest` longtext DEFAULT NULL, `WorkflowSpecManifest` longtext DEFAULT NULL,
  `Parameters` longtext DEFAULT NULL, `RuntimeParameters` longtext DEFAULT NULL, `PipelineRoot` longtext DEFAULT NULL,
  `CreatedAtInSec` bigint(20) NOT NULL, `ScheduledAtInSec` bigint(20) DEFAULT 0, `FinishedAtInSec` bigint(20) DEFAULT 0,
  `Conditions` varchar(125) NOT NULL, `State` varchar(255) DEFAULT NULL, `StateHistory` longtext DEFAULT NULL,
  `PipelineRuntimeManifest` longtext NOT NULL, `WorkflowRuntimeManifest` longtext NOT NULL,
  `PipelineContextId` bigint(20) DEFAULT 0, `PipelineRunContextId` bigint(20) DEFAULT 0,
  PRIMARY KEY (`UUID`),
  KEY `namespace_createatinsec` (`Namespace`,`CreatedAtInSec`),
  KEY `namespace_conditions_finishedatinsec` (`Namespace`,`Conditions`,`FinishedAtInSec`),
  KEY `experimentuuid_createatinsec` (`ExperimentUUID`,`CreatedAtInSec`),
  KEY `experimentuuid_conditions_finishedatinsec` (`ExperimentUUID`,`Conditions`,`FinishedAtInSec`));
CREATE TABLE `run_metrics` (
  `RunUUID` varchar(191) NOT NULL, `NodeID` varchar(191) NOT NULL, `Name` varchar(191) NOT NULL,
  `NumberValue` double DEFAULT NULL, `Format` varchar(255) DEFAULT NULL, `Payload` longtext NOT NULL,
  PRIMARY KEY (`RunUUID`,`NodeID`,`Name`),
  CONSTRAINT `run_metrics_RunUUID_run_details_UUID_foreign` FOREIGN KEY (`RunUUID`)
    REFERENCES `run_details` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE `tasks` (
  `UUID` varchar(191) NOT NULL, `Namespace` varchar(255) NOT NULL, `PipelineName` varchar(255) NOT NULL,
  `RunUUID` varchar(191) NOT NULL, `PodName` varchar(255) NOT NULL, `MLMDExecutionID` varchar(255) NOT NULL,
  `CreatedTimestamp` bigint(20) NOT NULL, `StartedTimestamp` bigint(20) DEFAULT 0, `FinishedTimestamp` bigint(20) DEFAULT 0,
  `Fingerprint` varchar(255) NOT NULL, `Name` varchar(255) DEFAULT NULL, `ParentTaskUUID` varchar(255) DEFAULT NULL,
  `State` varchar(255) DEFAULT NULL, `StateHistory` longtext DEFAULT NULL, `MLMDInputs` longtext DEFAULT NULL,
  `MLMDOutputs` longtext DEFAULT NULL, `ChildrenPods` longtext DEFAULT NULL, `Payload` longtext DEFAULT NULL,
  PRIMARY KEY (`UUID`), KEY `tasks_RunUUID_run_details_UUID_foreign` (`RunUUID`),
  CONSTRAINT `tasks_RunUUID_run_details_UUID_foreign` FOREIGN KEY (`RunUUID`)
    REFERENCES `run_details` (`UUID`) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE `resource_references` (
  `ResourceUUID` varchar(191) NOT NULL, `ResourceType` varchar(255) NOT NULL, `ReferenceUUID` varchar(191) NOT NULL,
  `ReferenceName` varchar(255) NOT NULL, `ReferenceType` varchar(255) NOT NULL, `Relationship` varchar(255) NOT NULL,
  `Payload` longtext NOT NULL,
  PRIMARY KEY (`ResourceUUID`,`ResourceType`,`ReferenceType`),
  KEY `referencefilter` (`ResourceType`,`ReferenceUUID`,`ReferenceType`));
