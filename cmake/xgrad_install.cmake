# cmake --install: headers under include/xgrad (so #include <autograd/autograd.hpp> works
# with that folder on the include path), the libraries, and a package config for
# find_package(xgrad) that provides xgrad::xgrad.
include(CMakePackageConfigHelpers)

install(DIRECTORY autograd nn optim DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xgrad
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS xgrad_autograd xgrad_nn xgrad_optim xgrad EXPORT xgradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/xgrad)
install(EXPORT xgradTargets NAMESPACE xgrad:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xgrad)
configure_package_config_file(cmake/xgradConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/xgradConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xgrad)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/xgradConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/xgradConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/xgradConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xgrad)
