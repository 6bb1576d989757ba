#include "daemon/control/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/control/protocol.h"
#include "inspect/eve_json.h"

namespace vigil::daemon {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kListenBacklog = 64;
constexpr int kMaxAcceptsPerWake = 64;
constexpr std::chrono::seconds kRefusalLogInterval{10};

std::string system_error_text(int e) { return std::system_category().message(e); }

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

bool fill_address(const std::string& path, sockaddr_un& addr, std::string& error) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty()) {
    error = "control socket: no path (control.socket)";
    return false;
  }
  if (path.size() >= sizeof addr.sun_path) {
    error = "control socket " + path + ": path longer than " +
            std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return false;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

enum class Probe : std::uint8_t { Missing, Stale, Alive, NotSocket, Failed };

// Whether a file at `path` is a socket somebody still answers on.
Probe probe_existing(const std::string& path, const sockaddr_un& addr, std::string& why) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Probe::Missing;
    why = system_error_text(errno);
    return Probe::Failed;
  }
  if (!S_ISSOCK(st.st_mode)) return Probe::NotSocket;
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) {
    why = system_error_text(errno);
    return Probe::Failed;
  }
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return Probe::Alive;
  }
  switch (errno) {
    case ECONNREFUSED:
      return Probe::Stale;
    case EAGAIN:  // a listener whose backlog is full: alive
      return Probe::Alive;
    case ENOENT:  // removed meanwhile
      return Probe::Missing;
    default:
      why = system_error_text(errno);
      return Probe::Failed;
  }
}

}  // namespace

struct ControlServer::Impl {
  struct Client {
    enum class State : std::uint8_t { Reading, Writing, Reloading };
    std::uint64_t id = 0;
    Fd fd;
    std::string in;   // bytes read and not yet handled, at most kMaxRequestLine
    std::string out;  // the response being written
    std::size_t out_sent = 0;
    State state = State::Reading;
    Clock::time_point deadline;
    bool peer_closed = false;  // read EOF: answer what is complete, then close
    bool close_after_write = false;
    bool closed = false;
    uid_t uid = static_cast<uid_t>(-1);
    pid_t pid = 0;
  };

  Impl(ControlHandler& h, ControlServerOptions o) : handler(h), options(std::move(o)) {}

  ControlHandler& handler;
  ControlServerOptions options;
  Fd listen_fd;
  Fd wake_fd;  // eventfd: stop, or a reload finished
  dev_t socket_dev = 0;
  ino_t socket_ino = 0;
  bool socket_bound = false;

  std::thread thread;
  std::atomic<bool> stopping{false};
  bool stopped = false;

  // Poll thread only.
  std::vector<std::unique_ptr<Client>> clients;
  std::uint64_t next_client_id = 1;
  bool reload_running = false;
  std::vector<std::uint64_t> reload_waiters;  // answered by the reload in progress
  std::vector<std::uint64_t> reload_queued;   // asked during it: answered by the next one
  Clock::time_point last_refusal_log{};

  // The reload thread and its hand-over, under reload_mu.
  std::thread reload_thread;
  std::mutex reload_mu;
  std::condition_variable reload_cv;
  bool reload_go = false;
  bool reload_done = false;
  bool reload_quit = false;
  ReloadOutcome reload_outcome;

  std::atomic<std::uint64_t> n_connections{0};
  std::atomic<std::uint64_t> n_refused{0};
  std::atomic<std::uint64_t> n_requests{0};
  std::atomic<std::uint64_t> n_bad_requests{0};
  std::atomic<std::uint64_t> n_timeouts{0};
  std::atomic<std::uint64_t> n_clients{0};

  void log(std::string_view line) const {
    if (options.log) options.log(line);
  }

  void wake() const {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd.get(), &one, sizeof one);
  }

  bool bind_socket(std::string& error);
  void run();
  void reload_loop();
  void accept_clients();
  void refuse(Fd fd, const ucred& cred);
  void on_readable(Client& c);
  void process_input(Client& c);
  void handle_line(Client& c, std::string_view line);
  void respond(Client& c, std::string text);
  bool flush(Client& c);  // false: still writing (or closed)
  void finish_write(Client& c);
  void after_response(Client& c);
  void start_reload();
  void finish_reload();
  void close_client(Client& c);
  Client* find_client(std::uint64_t id);
  void remove_socket_file();
};

bool ControlServer::Impl::bind_socket(std::string& error) {
  const std::string& path = options.socket_path;
  sockaddr_un addr{};
  if (!fill_address(path, addr, error)) return false;
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    error = "control socket " + path + ": folder " + folder.string() + " does not exist";
    return false;
  }

  std::string why;
  switch (probe_existing(path, addr, why)) {
    case Probe::Missing:
      break;
    case Probe::NotSocket:
      error = "control socket " + path + ": exists and is not a socket (not replacing it)";
      return false;
    case Probe::Alive:
      error = "control socket " + path + ": another process answers on it (is vigild running?)";
      return false;
    case Probe::Failed:
      error = "control socket " + path + ": cannot tell whether it is in use: " + why;
      return false;
    case Probe::Stale:
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = "control socket " + path +
                ": cannot remove the stale socket: " + system_error_text(errno);
        return false;
      }
      log("control: replaced the stale socket " + path);
      break;
  }

  listen_fd = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd.valid()) {
    error = "control socket: socket(): " + system_error_text(errno);
    return false;
  }
  if (::bind(listen_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = "control socket " + path + ": " + system_error_text(errno);
    return false;
  }
  socket_bound = true;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    socket_dev = st.st_dev;
    socket_ino = st.st_ino;
  }
  // Nobody can connect before listen(), so the mode is right before anyone can.
  if (::chmod(path.c_str(), 0660) != 0) {
    error = "control socket " + path + ": chmod 0660: " + system_error_text(errno);
    remove_socket_file();
    return false;
  }
  if (::listen(listen_fd.get(), kListenBacklog) != 0) {
    error = "control socket " + path + ": listen(): " + system_error_text(errno);
    remove_socket_file();
    return false;
  }
  wake_fd = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd.valid()) {
    error = "control socket: eventfd(): " + system_error_text(errno);
    remove_socket_file();
    return false;
  }
  return true;
}

void ControlServer::Impl::remove_socket_file() {
  if (!socket_bound) return;
  socket_bound = false;
  struct stat st {};
  const std::string& path = options.socket_path;
  // Only our own socket: a newer vigild may have replaced it meanwhile.
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == socket_dev &&
      st.st_ino == socket_ino) {
    ::unlink(path.c_str());
  }
}

void ControlServer::Impl::run() {
  std::vector<pollfd> fds;
  std::vector<Client*> polled;
  while (!stopping.load(std::memory_order_acquire)) {
    fds.clear();
    polled.clear();
    fds.push_back({wake_fd.get(), POLLIN, 0});
    fds.push_back({listen_fd.get(), POLLIN, 0});
    Clock::time_point now = Clock::now();
    std::optional<Clock::time_point> next_deadline;
    for (auto& c : clients) {
      short events = 0;
      if (c->state == Client::State::Reading && !c->peer_closed) events = POLLIN;
      if (c->state == Client::State::Writing) events = POLLOUT;
      fds.push_back({c->fd.get(), events, 0});
      polled.push_back(c.get());
      if (c->state != Client::State::Reloading) {
        next_deadline = next_deadline ? std::min(*next_deadline, c->deadline) : c->deadline;
      }
    }
    int timeout_ms = -1;
    if (next_deadline) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next_deadline - now);
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60'000));
    }
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      log("control: poll(): " + system_error_text(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (n > 0) {
      if (fds[0].revents & POLLIN) {
        std::uint64_t value = 0;
        [[maybe_unused]] ssize_t r = ::read(wake_fd.get(), &value, sizeof value);
        if (stopping.load(std::memory_order_acquire)) break;
        finish_reload();
      }
      for (std::size_t i = 0; i < polled.size(); ++i) {
        Client& c = *polled[i];
        short re = fds[i + 2].revents;
        if (c.closed || re == 0) continue;
        if (c.state == Client::State::Reading && (re & (POLLIN | POLLHUP | POLLERR))) {
          on_readable(c);
        } else if (c.state == Client::State::Writing && (re & (POLLOUT | POLLHUP | POLLERR))) {
          if (flush(c)) after_response(c);
        } else if (re & (POLLHUP | POLLERR)) {
          close_client(c);  // gone while its reload runs
        }
      }
      if (fds[1].revents & POLLIN) accept_clients();
    }
    now = Clock::now();
    for (auto& c : clients) {
      if (!c->closed && c->state != Client::State::Reloading && now >= c->deadline) {
        n_timeouts.fetch_add(1, std::memory_order_relaxed);
        close_client(*c);
      }
    }
    std::erase_if(clients, [](const std::unique_ptr<Client>& c) { return c->closed; });
    n_clients.store(clients.size(), std::memory_order_relaxed);
  }
  for (auto& c : clients) close_client(*c);
  clients.clear();
  n_clients.store(0, std::memory_order_relaxed);
}

void ControlServer::Impl::accept_clients() {
  for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
    Fd fd(::accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      if (errno == ECONNABORTED) continue;
      log("control: accept(): " + system_error_text(errno));  // EMFILE and the like
      return;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      cred.uid = static_cast<uid_t>(-1);
    }
    std::size_t live = 0;
    for (const auto& c : clients) live += c->closed ? 0 : 1;
    if (live >= options.max_clients) {
      refuse(std::move(fd), cred);
      continue;
    }
    n_connections.fetch_add(1, std::memory_order_relaxed);
    auto c = std::make_unique<Client>();
    c->id = next_client_id++;
    c->fd = std::move(fd);
    c->uid = cred.uid;
    c->pid = cred.pid;
    c->deadline = Clock::now() + options.idle_timeout;
    clients.push_back(std::move(c));
  }
}

void ControlServer::Impl::refuse(Fd fd, const ucred& cred) {
  n_refused.fetch_add(1, std::memory_order_relaxed);
  std::string text = error_response("vigild: too many control clients (" +
                                    std::to_string(options.max_clients) + "); try again");
  [[maybe_unused]] ssize_t n = ::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL);
  Clock::time_point now = Clock::now();
  if (last_refusal_log == Clock::time_point{} || now - last_refusal_log >= kRefusalLogInterval) {
    last_refusal_log = now;
    log("control: refused a client (uid " + std::to_string(cred.uid) + ", pid " +
        std::to_string(cred.pid) + "): " + std::to_string(options.max_clients) +
        " clients connected");
  }
}

void ControlServer::Impl::on_readable(Client& c) {
  // Never more than one line's worth: the buffer is bounded by construction.
  std::size_t room = kMaxRequestLine - c.in.size();
  if (room > 0) {
    char buf[kMaxRequestLine];
    ssize_t n = ::recv(c.fd.get(), buf, room, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      c.peer_closed = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close_client(c);
      return;
    }
  }
  process_input(c);
}

void ControlServer::Impl::process_input(Client& c) {
  while (!c.closed && c.state == Client::State::Reading) {
    std::size_t lf = c.in.find('\n');
    if (lf == std::string::npos) {
      if (c.in.size() >= kMaxRequestLine) {
        n_requests.fetch_add(1, std::memory_order_relaxed);
        n_bad_requests.fetch_add(1, std::memory_order_relaxed);
        c.close_after_write = true;
        c.in.clear();
        respond(c, error_response("request line longer than " + std::to_string(kMaxRequestLine) +
                                  " bytes"));
      } else if (c.peer_closed) {
        close_client(c);  // an unfinished line at EOF is not a request
        return;
      } else {
        return;  // wait for the rest of the line
      }
    } else {
      std::string line = c.in.substr(0, lf);
      c.in.erase(0, lf + 1);
      handle_line(c, line);
    }
    if (c.state == Client::State::Writing && flush(c)) finish_write(c);
  }
}

void ControlServer::Impl::handle_line(Client& c, std::string_view line) {
  n_requests.fetch_add(1, std::memory_order_relaxed);
  ParsedRequest parsed = parse_request(line);
  if (!parsed.request) {
    n_bad_requests.fetch_add(1, std::memory_order_relaxed);
    respond(c, error_response(parsed.error));
    return;
  }
  const Request& r = *parsed.request;
  if (r.command == Command::Reload) {
    log("control: reload asked by uid " + std::to_string(c.uid) + " (pid " + std::to_string(c.pid) +
        ")");
    c.state = Client::State::Reloading;
    if (reload_running) {
      reload_queued.push_back(c.id);  // answered by a reload that starts after this request
    } else {
      reload_waiters.push_back(c.id);
      start_reload();
    }
    return;
  }
  std::string json;
  const char* what = "status";
  try {
    switch (r.command) {
      case Command::Status:
        json = handler.status_json();
        break;
      case Command::Stats:
        what = "stats";
        json = handler.stats_json();
        break;
      case Command::Test:
        what = "test";
        json = handler.test_json(r.input, r.group);
        break;
      case Command::Reload:
        break;
    }
  } catch (const std::exception& e) {
    respond(c, error_response(std::string("vigild: ") + what + " failed: " + e.what()));
    return;
  }
  std::size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || json[first] != '{') {
    respond(c, error_response(std::string("vigild: ") + what + " gave no JSON object"));
    return;
  }
  respond(c, ok_response(json));
}

void ControlServer::Impl::respond(Client& c, std::string text) {
  c.out = std::move(text);
  c.out_sent = 0;
  c.state = Client::State::Writing;
  c.deadline = Clock::now() + options.write_timeout;
}

bool ControlServer::Impl::flush(Client& c) {
  while (c.out_sent < c.out.size()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return false;
    } else {
      close_client(c);
      return false;
    }
  }
  return true;
}

void ControlServer::Impl::finish_write(Client& c) {
  c.out.clear();
  c.out.shrink_to_fit();  // one large stats answer should not stay allocated per client
  c.out_sent = 0;
  if (c.close_after_write) {
    close_client(c);
    return;
  }
  c.state = Client::State::Reading;
  c.deadline = Clock::now() + options.idle_timeout;
}

void ControlServer::Impl::after_response(Client& c) {
  finish_write(c);
  process_input(c);  // a pipelined request may be waiting
}

void ControlServer::Impl::start_reload() {
  reload_running = true;
  {
    std::lock_guard lock(reload_mu);
    reload_go = true;
  }
  reload_cv.notify_one();
}

void ControlServer::Impl::reload_loop() {
  std::unique_lock lock(reload_mu);
  for (;;) {
    reload_cv.wait(lock, [this] { return reload_go || reload_quit; });
    if (reload_quit) return;
    reload_go = false;
    lock.unlock();
    ReloadOutcome outcome;
    try {
      outcome = handler.reload();
    } catch (const std::exception& e) {
      outcome = {.ok = false, .message = std::string("reload failed: ") + e.what()};
    }
    lock.lock();
    reload_outcome = std::move(outcome);
    reload_done = true;
    wake();
  }
}

void ControlServer::Impl::finish_reload() {
  ReloadOutcome outcome;
  {
    std::lock_guard lock(reload_mu);
    if (!reload_done) return;
    reload_done = false;
    outcome = std::move(reload_outcome);
  }
  reload_running = false;
  log(std::string("control: reload ") + (outcome.ok ? "done: " : "failed: ") + outcome.message);
  std::string text;
  if (outcome.ok) {
    std::string result = R"({"message":)";
    inspect::append_json_string(result, outcome.message);
    result += '}';
    text = ok_response(result);
  } else {
    text = error_response(outcome.message);
  }
  std::vector<std::uint64_t> waiters = std::exchange(reload_waiters, {});
  if (!reload_queued.empty()) {
    reload_waiters = std::exchange(reload_queued, {});
    start_reload();
  }
  for (std::uint64_t id : waiters) {
    Client* c = find_client(id);
    if (c == nullptr || c->closed || c->state != Client::State::Reloading) continue;
    respond(*c, text);
    if (flush(*c)) after_response(*c);
  }
}

ControlServer::Impl::Client* ControlServer::Impl::find_client(std::uint64_t id) {
  for (auto& c : clients) {
    if (c->id == id) return c.get();
  }
  return nullptr;
}

void ControlServer::Impl::close_client(Client& c) {
  if (c.closed) return;
  c.closed = true;
  c.fd.reset();
  c.in.clear();
  c.out.clear();
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<ControlServer> ControlServer::open(ControlHandler& handler,
                                                   ControlServerOptions options,
                                                   std::string& error) {
  if (options.max_clients == 0) options.max_clients = 1;
  auto impl = std::make_unique<Impl>(handler, std::move(options));
  if (!impl->bind_socket(error)) return nullptr;
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::~ControlServer() { stop(); }

void ControlServer::start() {
  Impl& m = *impl_;
  if (m.thread.joinable() || m.stopped) return;
  m.reload_thread = std::thread([&m] { m.reload_loop(); });
  m.thread = std::thread([&m] { m.run(); });
}

void ControlServer::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.stopping.store(true, std::memory_order_release);
  if (m.thread.joinable()) {
    m.wake();
    m.thread.join();
  }
  {
    std::lock_guard lock(m.reload_mu);
    m.reload_quit = true;
  }
  m.reload_cv.notify_all();
  if (m.reload_thread.joinable()) m.reload_thread.join();
  m.listen_fd.reset();
  m.remove_socket_file();
}

ControlServerStats ControlServer::stats() const {
  const Impl& m = *impl_;
  return {.connections = m.n_connections.load(std::memory_order_relaxed),
          .refused = m.n_refused.load(std::memory_order_relaxed),
          .requests = m.n_requests.load(std::memory_order_relaxed),
          .bad_requests = m.n_bad_requests.load(std::memory_order_relaxed),
          .timeouts = m.n_timeouts.load(std::memory_order_relaxed),
          .clients = m.n_clients.load(std::memory_order_relaxed)};
}

const std::string& ControlServer::path() const { return impl_->options.socket_path; }

}  // namespace vigil::daemon
