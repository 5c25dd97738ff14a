"""Wrong answers and variants for exercise 04 (locks between processes, atomic writes)."""
from tests.wrong_answers.answer import Answer, define

ANSWERS = [
    # ---- task 1: write_db -------------------------------------------------------------------
    Answer("task1", "the temporary file goes to the default temp folder, not beside db.json", {
        "workers": define('''
            def write_db(path, data):
                fd, tmp = tempfile.mkstemp(suffix=".tmp")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(data, f)
                        f.flush()
                        os.fsync(f.fileno())
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
        ''')}),
    Answer("task1", "fsync before flush: the data is still in Python's buffer when it syncs", {
        "workers": define('''
            def write_db(path, data):
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(data, f)
                        os.fsync(f.fileno())
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
        ''')}),
    Answer("task1", "fsyncs the database after the swap instead of the temporary file before it", {
        "workers": define('''
            def write_db(path, data):
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(data, f)
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
                with open(path) as f:
                    os.fsync(f.fileno())
        ''')}),
    Answer("task1", "no clean-up: a failed write leaves its temporary file behind", {
        "workers": define('''
            def write_db(path, data):
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
        ''')}),
    Answer(None, "variant: `from os import fsync`, and a NamedTemporaryFile in the same folder", {
        "workers": define('''
            from os import fsync

            def write_db(path, data):
                folder = os.path.dirname(os.path.abspath(path))
                with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as f:
                    tmp = f.name
                    try:
                        json.dump(data, f)
                        f.flush()
                        fsync(f.fileno())
                    except BaseException:
                        f.close()
                        os.unlink(tmp)
                        raise
                try:
                    os.replace(tmp, path)
                except BaseException:
                    os.unlink(tmp)
                    raise
        ''')}),

    # ---- task 2: buy_ticket -----------------------------------------------------------------
    Answer("task2", "gives up after waiting 1 s for the lock (acquire(timeout=1))", {
        "workers": define('''
            def buy_ticket(db_path, lock, buyer, pay=0.0):
                if not lock.acquire(timeout=1):
                    return False
                try:
                    db = read_db(db_path)
                    time.sleep(pay)
                    if db["seats_left"] <= 0:
                        return False
                    db["seats_left"] -= 1
                    db["buyers"].append(buyer)
                    write_db(db_path, db)
                    return True
                finally:
                    lock.release()
        ''')}),
    Answer("task2", "acquire()/release() without try/finally: an error leaves the lock taken", {
        "workers": define('''
            def buy_ticket(db_path, lock, buyer, pay=0.0):
                lock.acquire()
                db = read_db(db_path)
                time.sleep(pay)
                if db["seats_left"] <= 0:
                    lock.release()
                    return False
                db["seats_left"] -= 1
                db["buyers"].append(buyer)
                write_db(db_path, db)
                lock.release()
                return True
        ''')}),
    Answer("task2", "locks the write only (reads and checks outside the lock)", {
        "workers": define('''
            def buy_ticket(db_path, lock, buyer, pay=0.0):
                db = read_db(db_path)
                time.sleep(pay)
                if db["seats_left"] <= 0:
                    return False
                db["seats_left"] -= 1
                db["buyers"].append(buyer)
                with lock:
                    write_db(db_path, db)
                return True
        ''')}),
    Answer("task2", "checks the seats under the lock, but re-reads and writes after releasing it", {
        "workers": define('''
            def buy_ticket(db_path, lock, buyer, pay=0.0):
                with lock:
                    available = read_db(db_path)["seats_left"] > 0
                if not available:
                    return False
                time.sleep(pay)
                db = read_db(db_path)
                db["seats_left"] -= 1
                db["buyers"].append(buyer)
                with lock:
                    write_db(db_path, db)
                return True
        ''')}),
    Answer(None, "variant: writes a new dict instead of changing the one it read", {
        "workers": define('''
            def buy_ticket(db_path, lock, buyer, pay=0.0):
                with lock:
                    db = read_db(db_path)
                    time.sleep(pay)
                    if db["seats_left"] < 1:
                        return False
                    write_db(db_path, {"seats_left": db["seats_left"] - 1, "buyers": db["buyers"] + [buyer]})
                return True
        ''')}),

    # ---- task 3: run_sale -------------------------------------------------------------------
    Answer("task3", "joins only the last buyer (the loop variable after the start loop)", {
        "task3": define('''
            def run_sale(db_path, buyers, seats, pay=0.0):
                ex04_workers.write_db(db_path, {"seats_left": seats, "buyers": []})
                lock = mp.Lock()
                procs = [mp.Process(target=ex04_workers.buy_ticket, args=(str(db_path), lock, name, pay))
                         for name in buyers]
                for p in procs:
                    p.start()
                if procs:
                    p.join()
                return ex04_workers.read_db(db_path)
        ''')}),
    Answer("task3", "calls buy_ticket in the parent and passes its result as the target", {
        "task3": define('''
            def run_sale(db_path, buyers, seats, pay=0.0):
                ex04_workers.write_db(db_path, {"seats_left": seats, "buyers": []})
                lock = mp.Lock()
                procs = [mp.Process(target=ex04_workers.buy_ticket(str(db_path), lock, name, pay))
                         for name in buyers]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                return ex04_workers.read_db(db_path)
        ''')}),
    Answer("task3", "a new lock for every buyer", {
        "task3": define('''
            def run_sale(db_path, buyers, seats, pay=0.0):
                ex04_workers.write_db(db_path, {"seats_left": seats, "buyers": []})
                procs = [mp.Process(target=ex04_workers.buy_ticket, args=(str(db_path), mp.Lock(), name, pay))
                         for name in buyers]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                return ex04_workers.read_db(db_path)
        ''')}),
    Answer("task3", "keeps the database of the previous sale instead of creating a fresh one", {
        "task3": define('''
            def run_sale(db_path, buyers, seats, pay=0.0):
                if not os.path.exists(db_path):
                    ex04_workers.write_db(db_path, {"seats_left": seats, "buyers": []})
                lock = mp.Lock()
                procs = [mp.Process(target=ex04_workers.buy_ticket, args=(str(db_path), lock, name, pay))
                         for name in buyers]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
                return ex04_workers.read_db(db_path)
        ''')}),
    Answer(None, "variant: the lock and the buyers made from a context, joined by name", {
        "task3": define('''
            def run_sale(db_path, buyers, seats, pay=0.0):
                ctx = mp.get_context()
                lock = ctx.Lock()
                with open(db_path, "w", encoding="utf-8") as f:
                    json.dump({"seats_left": seats, "buyers": []}, f)
                procs = {}
                for name in buyers:
                    procs[name] = ctx.Process(target=ex04_workers.buy_ticket, args=(db_path, lock, name),
                                              kwargs={"pay": pay}, name=f"buyer {name}")
                    procs[name].start()
                for name in buyers:
                    procs[name].join()
                return ex04_workers.read_db(db_path)
        ''')}),
]
