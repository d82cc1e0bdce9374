"""Rules of meters: reading windows (``windows``), values (``values``), submitting
readings (``readings``), staff registering, replacing and retiring meters (``meters``),
and the window reminders (``reminders``)."""
