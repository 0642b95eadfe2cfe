// A worker entry that fails while loading, as a broken install or an out-of-memory start would.
throw new Error("boom: this worker cannot start");
