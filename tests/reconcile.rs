//! `hotelcare reconcile`: rooms changed behind hotelcare's back are found (and only they), the
//! fix script passes `check` and, run, leaves nothing to report; `--apply` does the same.

use crate::support::{TestPbx, text};

#[test]
fn rooms_changed_behind_hotelcares_back_are_found_and_fixed() {
    let pbx = TestPbx::start();
    let ran = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000 COS LOCAL\n");
    assert!(ran.status.success(), "{}", text(&ran.stderr));

    let clean = pbx.hotelcare().arg("reconcile").output().unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    let report = text(&clean.stdout);
    assert!(
        report.contains("the PBX has them as hotelcare last set them"),
        "{report}"
    );
    assert!(report.contains("2000  unmanaged"), "{report}");

    // A technician edits room 1000 on the PBX.
    let mut record = pbx.record("1000");
    record.directory_name = "Someone,Else".into();
    record.did_service_number = String::new();
    pbx.simulator().set_record("1000", record);

    let fix = pbx.dir.path().join("fix.hc");
    let found = pbx
        .hotelcare()
        .arg("reconcile")
        .arg("--fix-script")
        .arg(&fix)
        .output()
        .unwrap();
    assert_eq!(found.status.code(), Some(4), "{}", text(&found.stderr));
    let report = text(&found.stdout);
    assert!(
        report.contains("1000  Directory Name") && report.contains("\"Someone,Else\""),
        "{report}"
    );
    assert!(report.contains("DID Service Number"), "{report}");
    assert!(
        !report.contains("2000  Directory Name"),
        "no false positive: {report}"
    );
    let checked = pbx.hotelcare().arg("check").arg(&fix).output().unwrap();
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    let ran = pbx.hotelcare().arg("run").arg(&fix).output().unwrap();
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    let after = pbx.hotelcare().arg("reconcile").output().unwrap();
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));

    // Again behind its back; this time `--apply`.
    let mut record = pbx.record("1000");
    record.cor_day = "2".into();
    pbx.simulator().set_record("1000", record);
    let applied = pbx
        .hotelcare()
        .args(["reconcile", "--apply"])
        .output()
        .unwrap();
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert_eq!(pbx.record("1000").cor_day, "3");
    assert_eq!(pbx.record("1000").did_service_number, "3000");
    let after = pbx.hotelcare().arg("reconcile").output().unwrap();
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));
}
