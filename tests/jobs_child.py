"""A roster import in a process of its own that stops mid-import, for the test that kills it
(``tests/services/test_stuck_jobs.py``): when it prints ``mid-import`` it has written its first
chunk of members and enrolments in its open transaction, and it waits on stdin for the SIGKILL.

    python -m tests.jobs_child '<app config as JSON>' IMPORT_ID
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    config = json.loads(sys.argv[1])
    import_id = int(sys.argv[2])
    from portal import create_app

    app = create_app(config)
    with app.app_context():
        from portal.services.enrollment import roster_rows, rosters

        roster_rows.CHUNK_ROWS = 20
        report = rosters.set_progress

        def progress(roster_id: int, phase: str, done: int, total: int) -> None:
            report(roster_id, phase, done, total)
            if phase == "importing" and 0 < done < total:
                sys.stdout.write("mid-import\n")
                sys.stdout.flush()
                sys.stdin.read()  # until killed

        rosters.set_progress = progress
        rosters.run_import(import_id)
        sys.stdout.write("finished\n")


if __name__ == "__main__":
    main()
