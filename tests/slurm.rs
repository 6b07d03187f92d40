//! Slurm, for real: a one-node cluster on localhost (munged, slurmctld and slurmd from Debian's
//! packages, no cgroups) runs scripts/slurm/submit.sh on a tiny manifest split into 4 shards.
//! The second shard's first attempt is killed with SIGKILL once its first run has written a
//! checkpoint (a node crash, as far as genbench can tell); the shard script requeues it, the new
//! attempt resumes that run, and the report job runs after the array. The merged summary.csv must
//! equal a single process's, column by column, times aside.
//!
//! Skips, saying why, unless munged, slurmctld, slurmd and sbatch are installed and the test runs
//! as root (slurmd starts jobs as their owner). .ci/run installs them.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::{
    csv_rows, flow, genbench_with, get, gmm, made, stderr, timeless, tiny_2d_manifest, vae, write,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// 8 runs, 2 per shard. Plan order is model, dataset, seed, so shard 2/4 starts with
/// vae--8gaussians--s1, which checkpoints every 25 of its 400 steps: the run the test kills.
fn manifest(output: &str) -> String {
    tiny_2d_manifest(
        output,
        "[0, 1]",
        "checkpoint_every = 25\n",
        &[vae(400), gmm(15), flow(60), made(60)],
    )
}

/// Runs `genbench` for the array tasks: the second task's first attempt is killed (`kill -9`)
/// as soon as its first run has a checkpoint, and the run id goes to killed.txt; a later
/// attempt of that task notes in resumed.txt whether the checkpoint was still there to resume.
const WRAPPER: &str = r#"#!/usr/bin/env bash
set -u
real=$GENBENCH_REAL
if [ "$1" = run ] && [ "${SLURM_ARRAY_TASK_ID:-}" = 1 ]; then
  first=$("$real" plan "$2" --shard "$4" | head -n 1)
  if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
    "$real" "$@" &
    pid=$!
    until [ -d "out/runs/$first/checkpoint" ]; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "finished before its first checkpoint" > killed.txt
        exit 99
      fi
      sleep 0.02
    done
    kill -9 "$pid"
    echo "$first" > killed.txt
    wait "$pid"
    exit 137
  fi
  if [ -d "out/runs/$first/checkpoint" ] && [ ! -e "out/runs/$first/result.json" ]; then
    echo "$first" > resumed.txt
  fi
fi
exec "$real" "$@"
"#;

#[test]
fn slurm_array_with_a_requeued_shard_matches_one_process() {
    let Some(bins) = SlurmBins::find() else {
        eprintln!(
            "skipped: Slurm or munge is not installed (apt-get install slurm-wlm munge; .ci/run does)"
        );
        return;
    };
    if !is_root() {
        eprintln!(
            "skipped: the one-node Slurm cluster needs root (slurmd starts jobs as their owner)"
        );
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(&bins, tmp.path());

    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    write(&work, "m.toml", &manifest("out"));
    let wrapper = write(&work, "genbench-wrapper", WRAPPER);
    chmod_x(&wrapper);
    let submit = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm/submit.sh");
    let out = cluster
        .command(&submit)
        .args(["m.toml", "4", "--cpus-per-task=1"])
        .env("GENBENCH", &wrapper)
        .env("GENBENCH_REAL", common::bin())
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(out.status.success(), "submit.sh: {}", stderr(&out));
    let ids = String::from_utf8(out.stdout).unwrap();
    let (array, report) = ids.trim().split_once(' ').expect("two job ids");

    cluster.wait_for_queue(&work, Duration::from_secs(900));
    let task_log = |t: usize| {
        std::fs::read_to_string(work.join(format!("genbench-{array}_{t}.out"))).unwrap_or_default()
    };
    let killed = std::fs::read_to_string(work.join("killed.txt")).unwrap_or_default();
    assert_eq!(
        killed.trim(),
        "vae--8gaussians--s1",
        "the kill hit a checkpointed run; shard 2's log:\n{}",
        task_log(1)
    );
    assert_eq!(
        std::fs::read_to_string(work.join("resumed.txt"))
            .unwrap_or_default()
            .trim(),
        "vae--8gaussians--s1",
        "the requeued attempt found the checkpoint; its log:\n{}",
        task_log(1)
    );
    let tasks = cluster.scontrol_show_job(array);
    for t in 0..4 {
        let task = tasks
            .split("\n\n")
            .find(|j| j.contains(&format!("ArrayTaskId={t} ")))
            .unwrap_or_else(|| panic!("task {t} in:\n{tasks}"));
        assert!(
            task.contains("JobState=COMPLETED"),
            "task {t}:\n{task}\nlog:\n{}",
            task_log(t)
        );
        let restarts = if t == 1 { "Restarts=1" } else { "Restarts=0" };
        assert!(task.contains(restarts), "task {t}:\n{task}");
    }
    let report_job = cluster.scontrol_show_job(report);
    assert!(report_job.contains("JobState=COMPLETED"), "{report_job}");
    assert!(
        work.join("out/REPORT.md").is_file(),
        "the report job drew REPORT.md"
    );
    eprintln!(
        "slurm: array {array} (4 shards, one requeued) and report {report} done in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // One process, one thread per run as in the array tasks (--cpus-per-task=1).
    write(&work, "one.toml", &manifest("one"));
    let one = genbench_with(&["run", "one.toml"], &work, &[("RAYON_NUM_THREADS", "1")]);
    assert!(one.status.success(), "{}", stderr(&one));
    let merged = csv_rows(&work.join("out/summary.csv"));
    let single = csv_rows(&work.join("one/summary.csv"));
    assert_eq!(merged.len(), 8, "every run of the array is in summary.csv");
    for (m, s) in merged.iter().zip(&single) {
        assert_eq!(get(m, "threads"), "1");
        assert_eq!(
            timeless(m),
            timeless(s),
            "{}: the array's numbers are one process's",
            get(m, "run_id")
        );
    }
}

/// Where the daemons and clients are (daemons live in /usr/sbin, often not on a user's PATH).
struct SlurmBins {
    munged: PathBuf,
    slurmctld: PathBuf,
    slurmd: PathBuf,
}

impl SlurmBins {
    fn find() -> Option<Self> {
        find_program("sbatch")?;
        Some(Self {
            munged: find_program("munged")?,
            slurmctld: find_program("slurmctld")?,
            slurmd: find_program("slurmd")?,
        })
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn chmod_x(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A one-node cluster in `dir`: its own munge key and socket, slurm.conf (SLURM_CONF), state,
/// spool and logs, on free ports. The daemons are killed when it is dropped.
struct Cluster {
    conf: PathBuf,
    log_dir: PathBuf,
    daemons: Vec<Child>,
}

impl Cluster {
    fn start(bins: &SlurmBins, dir: &Path) -> Self {
        let sub = |name: &str| {
            let d = dir.join(name);
            std::fs::create_dir_all(&d).unwrap();
            d
        };
        let (munge, state, spool, log_dir) = (sub("munge"), sub("state"), sub("spool"), sub("log"));
        // munged wants its key private and its socket's folder open to every user.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&munge, std::fs::Permissions::from_mode(0o755)).unwrap();
        let key = munge.join("munge.key");
        let mut bytes = vec![0u8; 1024];
        {
            use std::io::Read;
            std::fs::File::open("/dev/urandom")
                .unwrap()
                .read_exact(&mut bytes)
                .unwrap();
        }
        std::fs::write(&key, &bytes).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let socket = munge.join("munge.sock");
        let mut daemons = Vec::new();
        daemons.push(daemon(
            Command::new(&bins.munged)
                .arg("--foreground")
                .arg(format!("--key-file={}", key.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
                .arg(format!("--log-file={}", munge.join("munged.log").display()))
                .arg(format!(
                    "--seed-file={}",
                    munge.join("munged.seed").display()
                )),
            &log_dir.join("munged.out"),
        ));
        wait_until(Duration::from_secs(20), "munged's socket", || {
            socket.exists()
        });

        let host = short_hostname();
        let node = node_line(&bins.slurmd);
        let conf = dir.join("slurm.conf");
        let text = format!(
            "ClusterName=genbench-ci\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={state}\n\
             SlurmdSpoolDir={spool}\n\
             SlurmctldPidFile={dir}/slurmctld.pid\n\
             SlurmdPidFile={dir}/slurmd.pid\n\
             SlurmctldLogFile={logs}/slurmctld.log\n\
             SlurmdLogFile={logs}/slurmd.log\n\
             # no cgroups: plain process tracking, no task binding or accounting\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\n\
             SwitchType=switch/none\n\
             MpiDefault=none\n\
             SchedulerType=sched/backfill\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\n\
             ReturnToService=2\n\
             MailProg=/bin/true\n\
             {node} NodeAddr=127.0.0.1 State=UNKNOWN\n\
             PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            ctld_port = free_port(),
            slurmd_port = free_port(),
            socket = socket.display(),
            state = state.display(),
            spool = spool.display(),
            dir = dir.display(),
            logs = log_dir.display(),
        );
        std::fs::write(&conf, text).unwrap();
        let mut cluster = Cluster {
            conf,
            log_dir,
            daemons,
        };
        let ctld = daemon(
            cluster.command(&bins.slurmctld).args(["-D", "-i"]),
            &cluster.log_dir.join("slurmctld.out"),
        );
        cluster.daemons.push(ctld);
        let slurmd = daemon(
            cluster.command(&bins.slurmd).arg("-D"),
            &cluster.log_dir.join("slurmd.out"),
        );
        cluster.daemons.push(slurmd);
        let logs = cluster.log_dir.clone();
        wait_until(Duration::from_secs(60), "the node to be idle", || {
            let out = cluster
                .command(Path::new("sinfo"))
                .args(["-h", "-o", "%T"])
                .output();
            let idle = out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle");
            if !idle {
                eprintln!("{}", read_logs(&logs));
            }
            idle
        });
        cluster
    }

    /// `program` with this cluster's SLURM_CONF.
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn scontrol_show_job(&self, id: &str) -> String {
        let out = self
            .command(Path::new("scontrol"))
            .args(["show", "job", id])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the queue is empty. Slurm holds a requeued job for 120 s before it is eligible
    /// again (Reason=BeginTime); the test moves that to now to spare CI two idle minutes.
    fn wait_for_queue(&self, work: &Path, limit: Duration) {
        let started = Instant::now();
        loop {
            let out = self
                .command(Path::new("squeue"))
                .args(["-h", "-r", "-o", "%i %T %r"])
                .output()
                .unwrap();
            let queue = String::from_utf8_lossy(&out.stdout).into_owned();
            if queue.trim().is_empty() {
                return;
            }
            for line in queue.lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() == 3 && f[1] == "PENDING" && f[2] == "BeginTime" {
                    self.command(Path::new("scontrol"))
                        .args(["update", &format!("JobId={}", f[0]), "StartTime=now"])
                        .status()
                        .unwrap();
                }
            }
            assert!(
                started.elapsed() < limit,
                "jobs still queued after {limit:?}:\n{queue}\nlogs:\n{}\nwork: {}",
                read_logs(&self.log_dir),
                work.display()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for d in self.daemons.iter_mut().rev() {
            d.kill().ok();
            d.wait().ok();
        }
    }
}

fn daemon(cmd: &mut Command, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"))
}

fn read_logs(dir: &Path) -> String {
    let mut s = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        s.push_str(&format!("== {}\n", entry.path().display()));
        for l in tail.into_iter().rev() {
            s.push_str(l);
            s.push('\n');
        }
    }
    s
}

fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The machine's short host name: slurmctld runs only on the host slurm.conf names.
fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim()
        .split('.')
        .next()
        .unwrap_or("localhost")
        .to_string()
}

/// This machine as slurm.conf's node line (`slurmd -C`: NodeName, CPUs, sockets, memory).
fn node_line(slurmd: &Path) -> String {
    let out = Command::new(slurmd).arg("-C").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("NodeName="))
        .expect("slurmd -C prints the node")
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
