/* microhttpd_hello: the hello server of benchmarks/compare.py written with
 * GNU libmicrohttpd as its manual advises for speed: one internal thread
 * polling with epoll (MHD_USE_EPOLL_INTERNAL_THREAD), MHD_USE_TURBO, and
 * responses made once and queued again for every request. The library adds
 * the Date header itself; it writes no Server header. Usage:
 *   microhttpd_hello PORT */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Response* plaintext;
static struct MHD_Response* json;
static struct MHD_Response* not_found;

static struct MHD_Response* fixed(const char* body, const char* type) {
  struct MHD_Response* response =
      MHD_create_response_from_buffer(strlen(body), (void*)body, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  return response;
}

static enum MHD_Result answer(void* closure, struct MHD_Connection* connection, const char* url,
                              const char* method, const char* version, const char* upload,
                              size_t* upload_size, void** state) {
  (void)closure;
  (void)version;
  (void)upload;
  (void)upload_size;
  /* As the library's minimal_example.c does: the first call only sees the
   * header and the answer goes on the second, once the request is complete.
   * Answering on the first call makes the library send `Connection: close`
   * and close every connection after its response. */
  static int first_call_mark;
  if (*state != &first_call_mark) {
    *state = &first_call_mark;
    return MHD_YES;
  }
  *state = NULL;
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return MHD_NO; /* closes the connection */
  if (strcmp(url, "/plaintext") == 0) return MHD_queue_response(connection, MHD_HTTP_OK, plaintext);
  if (strcmp(url, "/json") == 0) return MHD_queue_response(connection, MHD_HTTP_OK, json);
  return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, not_found);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: microhttpd_hello PORT\n");
    return 2;
  }
  plaintext = fixed("Hello, World!", "text/plain");
  json = fixed("{\"message\":\"Hello, World!\"}", "application/json");
  not_found = fixed("Not Found\n", "text/plain");
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stops, NULL); /* the internal thread inherits it */
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)atoi(argv[1]));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* The default connection limit (FD_SETSIZE - 4) would refuse the 10,000
   * idle connections of compare.py --memory; nginx gets 20,000 too. */
  struct MHD_Daemon* daemon = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, 0, NULL, NULL, &answer, NULL,
      MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)20000,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)4096, MHD_OPTION_END);
  if (daemon == NULL) {
    fprintf(stderr, "microhttpd_hello: MHD_start_daemon failed\n");
    return 1;
  }
  int received = 0;
  sigwait(&stops, &received);
  MHD_stop_daemon(daemon);
  return 0;
}
