  CREATE TABLE `execution_caches` (
    `ID` bigint(20) NOT NULL AUTO_INCREMENT, `ExecutionCacheKey` varchar(191) NOT NULL,
    `ExecutionTemplate` longtext NOT NULL, `ExecutionOutput` longtext NOT NULL,
    `MaxCacheStaleness` bigint(20) NOT NULL, `StartedAtInSec` bigint(20) NOT NULL, `EndedAtInSec` bigint(20) NOT NULL,
    PRIMARY KEY (`ID`), KEY `composite_id_idx` (`ID`,`StartedAtInSec`), KEY `idx_cache_key` (`ExecutionCacheKey`));
