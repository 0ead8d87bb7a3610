//! Every fitflow setting, registered in `_PG_init`.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};

/// `fitflow.restoring`: while on, writes to `fitflow.readings` are taken as they are (no
/// validation, no live-buffer maintenance) because pg_restore is loading rows that were already
/// validated, in an order that does not respect sessions. Set it on the target database around a
/// restore: `ALTER DATABASE d SET fitflow.restoring = on` ... `ALTER DATABASE d RESET fitflow.restoring`.
pub static RESTORING: GucSetting<bool> = GucSetting::<bool>::new(false);

pub fn init() {
    GucRegistry::define_bool_guc(
        c"fitflow.restoring",
        c"Take rows written to fitflow.readings as they are, for pg_restore.",
        c"Set it on the target database while restoring a dump of a fitflow database; leave it off otherwise.",
        &RESTORING,
        GucContext::Userset,
        GucFlags::default(),
    );
}
